"""Step 04: session login with bcrypt, and two decorators that guard pages and the API."""
