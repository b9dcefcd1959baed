"""Step 06: step 05 with logins that logout really ends, and password guessing made slow."""
