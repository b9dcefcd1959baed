"""Where WORKSHOP.md teaches what each check proves: every failure message ends with one of these.

A step's technique is the article's lesson and what makes it correct; its hardening is what a
real deployment adds. When a heading of WORKSHOP.md changes, its line here is the one to change
(test_workshop.py checks that each names a heading that exists).
"""

# --- Step 01 -------------------------------------------------------------------------------------
TEMPLATES = "WORKSHOP.md, Step 01 · Brunch's output as Flask's static folder and templates"
TEMPLATE_LOADER = "WORKSHOP.md, Step 01 · The pitfall: where Flask looks for templates"
CONVERSATION = "WORKSHOP.md, Step 01 · The conversation panel"
PRECOMPILED_TEMPLATES = "WORKSHOP.md, Step 01 · Templates compiled at build time"

# --- Step 02 -------------------------------------------------------------------------------------
STEP02_MODULES = "WORKSHOP.md, Step 02 · What changed since step 01"
THE_LIST = "WORKSHOP.md, Step 02 · The list, and the envelope around it"
RAW_DOCUMENTS = "WORKSHOP.md, Step 02 · The pitfall: MongoDB documents are not JSON"
ERRORS = "WORKSHOP.md, Step 02 · One shape for every error"
# Hardening.
UNREACHABLE = "WORKSHOP.md, Step 02 · Hardening: a database that does not answer"

# --- Step 03 -------------------------------------------------------------------------------------
ENCODER = "WORKSHOP.md, Step 03 · One encoder, plugged into Flask's JSON provider"
ENCODER_PITFALLS = (
    "WORKSHOP.md, Step 03 · The pitfalls: a fallback that never ends, a setting that is ignored"
)

# --- Step 04 -------------------------------------------------------------------------------------
STEP04_MODULES = "WORKSHOP.md, Step 04 · What changed since step 03"
DECORATORS = "WORKSHOP.md, Step 04 · Two decorators, one for pages and one for the API"
PASSWORDS = "WORKSHOP.md, Step 04 · Passwords with bcrypt 5"
WRAPS = "WORKSHOP.md, Step 04 · The pitfall: a decorator without `functools.wraps`"
# Hardening.
LOGOUT = "WORKSHOP.md, Step 04 · Hardening: a session that logout really ends"
LOGIN_LIFETIME = "WORKSHOP.md, Step 04 · Hardening: logins that expire"
ONE_SPELLING = "WORKSHOP.md, Step 04 · Hardening: one name, however it is typed"
THROTTLE = "WORKSHOP.md, Step 04 · Hardening: a limit on failed logins"
CROSS_SITE = "WORKSHOP.md, Step 04 · Hardening: no writes from other sites"
TELL_NOTHING = "WORKSHOP.md, Step 04 · Hardening: answers that tell an attacker nothing"
COOKIES = "WORKSHOP.md, Step 04 · Hardening: cookies, secret key, command line"
BODY_LIMIT = "WORKSHOP.md, Step 04 · Hardening: bodies with a limit"
HEADERS = "WORKSHOP.md, Step 04 · Hardening: headers a browser obeys"
ROUTES = "WORKSHOP.md, Step 04 · Hardening: URLs the static files must not take"
DATABASE_DOWN = "WORKSHOP.md, Step 04 · Hardening: a database that is down slows only what needs it"
PROXIES = "WORKSHOP.md, Step 04 · Hardening: behind a proxy"

# --- Step 05 -------------------------------------------------------------------------------------
STEP05_MODULES = "WORKSHOP.md, Step 05 · What changed since step 04"
METHODVIEW = "WORKSHOP.md, Step 05 · One class, two URL rules"
VALIDATION = "WORKSHOP.md, Step 05 · Validation by hand"
METHODVIEW_PITFALLS = (
    "WORKSHOP.md, Step 05 · The pitfalls: the login check, raw ids, and idAttribute"
)
# Hardening.
STRICT_BODIES = "WORKSHOP.md, Step 05 · Hardening: strict bodies"
PAGES = "WORKSHOP.md, Step 05 · Hardening: pages with bounds"
OVERRIDE = "WORKSHOP.md, Step 05 · Hardening: the method override"
CONCURRENCY = "WORKSHOP.md, Step 05 · Hardening: concurrent requests"

# --- Extension exercises -------------------------------------------------------------------------
COUNT_EXERCISE = "WORKSHOP.md, Step 02 · Exercises"
MORE_TYPES_EXERCISE = "WORKSHOP.md, Step 03 · Exercises"
LOGOUT_EVERYWHERE_EXERCISE = "WORKSHOP.md, Step 04 · Exercises"
DONE_FILTER_EXERCISE = "WORKSHOP.md, Step 05 · Exercises"

# --- Step 06: one client cannot stall the site (issue 20) ---------------------------------------
SERVE_RECIPE = "WORKSHOP.md, Step 06 · One command: make serve"
PASSWORD_BUDGET = "WORKSHOP.md, Step 06 · A budget of password work per address"
HUNG_DATABASE = "WORKSHOP.md, Step 06 · A database that hangs"
SLOW_CLIENTS = "WORKSHOP.md, Step 06 · Slow clients hold a thread, not the site"
OWN_HOSTS = "WORKSHOP.md, Step 06 · Only our own host names"
NOT_CACHED = "WORKSHOP.md, Step 06 · Pages that show the user are not cached"
LONG_SECRET_KEY = "WORKSHOP.md, Step 06 · A secret key long enough to be secret"
