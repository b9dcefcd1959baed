"""Step 04's passwords.py: bcrypt hashes of a given cost, and the 72-byte limit said, not raised."""

import bcrypt
import pytest

from support import PASSWORD, WRONG_PASSWORD, from_step

pytestmark = pytest.mark.steps(4, 5)

BCRYPT_72_BYTES = "WORKSHOP.md, Step 04 · Passwords with bcrypt 5"


def test_password_limits(step_dir):
    assert from_step(step_dir, "MIN_PASSWORD_LENGTH") == 8, "passwords need 8 characters at least"
    assert from_step(step_dir, "MAX_PASSWORD_BYTES") == 72, (
        f"bcrypt reads 72 bytes ({BCRYPT_72_BYTES})"
    )


@pytest.mark.parametrize(
    ("password", "acceptable"),
    [
        pytest.param("", False, id="empty"),
        pytest.param("1234567", False, id="seven-characters"),
        pytest.param("12345678", True, id="eight-characters"),
        pytest.param("é" * 8, True, id="eight-accented-characters"),
        pytest.param("x" * 72, True, id="72-bytes"),
        pytest.param("é" * 36, True, id="36-accented-is-72-bytes"),
        pytest.param("x" * 73, False, id="73-bytes"),
        pytest.param("é" * 37, False, id="37-accented-is-74-bytes"),
    ],
)
def test_password_problem(step_dir, password, acceptable):
    problem = from_step(step_dir, "password_problem")(password)
    if acceptable:
        assert problem is None, f"password_problem should accept it, not say {problem!r}"
    else:
        assert isinstance(problem, str), "password_problem should say, in a sentence, what is wrong"
        assert problem, "password_problem should say, in a sentence, what is wrong"


def test_hash_password_makes_a_bcrypt_hash_of_the_given_cost(step_dir):
    hash_password = from_step(step_dir, "hash_password")
    password_hash = hash_password(PASSWORD, 4)
    assert isinstance(password_hash, str), "hash_password returns the hash as text, to store"
    assert password_hash.startswith("$2b$04$"), "a bcrypt hash of the cost given (here 4)"
    assert bcrypt.checkpw(PASSWORD.encode(), password_hash.encode()), "a hash of that password"
    assert hash_password(PASSWORD, 4) != password_hash, "a fresh salt each time"


@pytest.mark.parametrize(
    ("password", "matches"),
    [
        pytest.param(PASSWORD, True, id="right-password"),
        pytest.param(WRONG_PASSWORD, False, id="wrong-password"),
        pytest.param("x" * 73, False, id="73-bytes"),
        pytest.param("é" * 37, False, id="37-accented-is-74-bytes"),
    ],
)
def test_check_password_answers_true_or_false(step_dir, password, matches):
    # bcrypt 5 raises ValueError over 72 bytes: check_password must not let it out.
    check_password = from_step(step_dir, "check_password")
    password_hash = from_step(step_dir, "hash_password")(PASSWORD, 4)
    assert check_password(password, password_hash) is matches, (
        f"check_password should answer {matches} ({BCRYPT_72_BYTES})"
    )
