"""Step 04's passwords.py: bcrypt hashes of a given cost, and the 72-byte limit said, not raised."""

import bcrypt
import pytest

from harness.answers import step_code
from harness.apps import PASSWORD, WRONG_PASSWORD, from_step
from harness.sections import PASSWORDS

pytestmark = pytest.mark.steps(4, 8)


def test_password_limits(step_dir):
    assert from_step(step_dir, "MIN_PASSWORD_LENGTH") == 8, (
        f"passwords need 8 characters at least: MIN_PASSWORD_LENGTH = 8 ({PASSWORDS})"
    )
    assert from_step(step_dir, "MAX_PASSWORD_BYTES") == 72, (
        f"bcrypt reads 72 bytes: MAX_PASSWORD_BYTES = 72 ({PASSWORDS})"
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
    password_problem = from_step(step_dir, "password_problem")
    with step_code(f"password_problem({password!r})", PASSWORDS):
        problem = password_problem(password)
    if acceptable:
        assert problem is None, (
            f"password_problem({password!r}) should accept it (None), not say {problem!r}"
            f" ({PASSWORDS})"
        )
    else:
        assert isinstance(problem, str), (
            f"password_problem({password!r}) should say, in a sentence, what is wrong, not"
            f" {problem!r} ({PASSWORDS})"
        )
        assert problem, f"password_problem({password!r}) should say what is wrong ({PASSWORDS})"


def test_hash_password_makes_a_bcrypt_hash_of_the_given_cost(step_dir):
    hash_password = from_step(step_dir, "hash_password")
    with step_code("hash_password(a password, 4)", PASSWORDS):
        password_hash, again = hash_password(PASSWORD, 4), hash_password(PASSWORD, 4)
    assert isinstance(password_hash, str), (
        f"hash_password returns the hash as text, to store, not {type(password_hash).__name__}"
        f" ({PASSWORDS})"
    )
    assert password_hash.startswith("$2b$04$"), (
        f"hash_password(password, 4) makes a bcrypt hash of cost 4, not {password_hash[:7]!r}"
        f" ({PASSWORDS})"
    )
    assert bcrypt.checkpw(PASSWORD.encode(), password_hash.encode()), (
        f"hash_password makes a hash of the password it is given ({PASSWORDS})"
    )
    assert again != password_hash, f"hash_password uses a fresh salt each time ({PASSWORDS})"


@pytest.mark.pitfall("pitfall_bcrypt_72_bytes", case="73-bytes")
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
    check_password = from_step(step_dir, "check_password")
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    with step_code("check_password(a password, a hash)", PASSWORDS):
        try:
            answer = check_password(password, password_hash)
        except ValueError as error:
            # bcrypt 5 raises ValueError over 72 bytes: check_password must not let it out.
            pytest.fail(
                f"check_password raised ValueError for a password of {len(password.encode())}"
                f" bytes ({error}): bcrypt 5 refuses passwords over 72 bytes, so check_password"
                f" should answer False for them without calling bcrypt ({PASSWORDS})",
                pytrace=False,
            )
    assert answer is matches, (
        f"check_password should answer {matches}, not {answer!r} ({PASSWORDS})"
    )
