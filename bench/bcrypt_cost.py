"""What one login costs at each bcrypt cost factor, and the default the steps use."""

import bcrypt
import benchlib
import mongomock

COSTS = (4, 10, 12, 14)
ROUNDS = 3
PASSWORD = b"correct horse battery"


def default_rounds():
    """The cost factor step 04 uses when nothing overrides it, read from its own config."""
    config = {"MONGO_CLIENT": mongomock.MongoClient(tz_aware=True)}
    app = benchlib.step_module(benchlib.step_dir("04"), "app").create_app(config)
    return app.config["BCRYPT_ROUNDS"]


def main():
    """Time bcrypt.checkpw at every cost, interleaved, and print the table."""
    hashes = {cost: bcrypt.hashpw(PASSWORD, bcrypt.gensalt(cost)) for cost in COSTS}
    cases = {
        cost: (lambda stored=stored: bcrypt.checkpw(PASSWORD, stored))
        for cost, stored in hashes.items()
    }
    samples = benchlib.interleaved(cases, ROUNDS)
    default = default_rounds()

    benchlib.heading(
        "4. bcrypt: one login (`bcrypt.checkpw`) per cost factor",
        f"CPU time, median of {ROUNDS} interleaved rounds after a warm-up. Each step up in cost"
        " doubles the work, for the server and for anyone guessing passwords alike.",
    )
    rows = []
    for cost, times in samples.items():
        seconds = benchlib.median(times)
        label = f"{cost} (the steps' default)" if cost == default else str(cost)
        rows.append((label, benchlib.ms(seconds), f"{1 / seconds:,.1f}"))
    benchlib.table(["cost", "one login", "logins (or guesses) per second per core"], rows)
    print(f"- `bcrypt.gensalt()` defaults to 12; step 04's `BCRYPT_ROUNDS` is {default}.\n")


if __name__ == "__main__":
    main()
