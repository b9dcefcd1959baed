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
STEP01_CONTRACT = "WORKSHOP.md, Step 01 · Contract"

# --- Step 02 -------------------------------------------------------------------------------------
STEP02_MODULES = "WORKSHOP.md, Step 02 · What changed since step 01"
THE_LIST = "WORKSHOP.md, Step 02 · The list, and the envelope around it"
RAW_DOCUMENTS = "WORKSHOP.md, Step 02 · The pitfall: MongoDB documents are not JSON"
ERRORS = "WORKSHOP.md, Step 02 · One shape for every error"
# Hardening.
UNREACHABLE = "WORKSHOP.md, Step 02 · Hardening: a database that does not answer"

# --- Step 03 -------------------------------------------------------------------------------------
STEP03_MODULES = "WORKSHOP.md, Step 03 · What changed since step 02"
ENCODER = "WORKSHOP.md, Step 03 · One encoder, plugged into Flask's JSON provider"
ENCODER_PITFALLS = (
    "WORKSHOP.md, Step 03 · The pitfalls: a fallback that never ends, a setting that is ignored"
)

# --- Step 04 -------------------------------------------------------------------------------------
STEP04_MODULES = "WORKSHOP.md, Step 04 · What changed since step 03"
DECORATORS = "WORKSHOP.md, Step 04 · Two decorators, one for pages and one for the API"
ACCOUNTS = "WORKSHOP.md, Step 04 · Register, log in, log out"
ONE_SPELLING = "WORKSHOP.md, Step 04 · One name, however it is typed"
PASSWORDS = "WORKSHOP.md, Step 04 · Passwords with bcrypt 5"
TELL_NOTHING = "WORKSHOP.md, Step 04 · Answers that tell an attacker nothing"
COOKIES = "WORKSHOP.md, Step 04 · The session cookie and its key"
WRAPS = "WORKSHOP.md, Step 04 · The pitfall: a decorator without `functools.wraps`"

# --- Step 05 -------------------------------------------------------------------------------------
STEP05_MODULES = "WORKSHOP.md, Step 05 · What changed since step 04"
METHODVIEW = "WORKSHOP.md, Step 05 · One class, two URL rules"
VALIDATION = "WORKSHOP.md, Step 05 · Validation by hand"
METHODVIEW_PITFALLS = (
    "WORKSHOP.md, Step 05 · The pitfalls: the login check, raw ids, and idAttribute"
)
PAGES = "WORKSHOP.md, Step 05 · Pages with bounds"

# --- Step 06 -------------------------------------------------------------------------------------
STEP06_MODULES = "WORKSHOP.md, Step 06 · What changed since step 05"
# Hardening, taught in steps 06 to 08 and checked from there on.
LOGOUT = "WORKSHOP.md, Step 06 · A session that logout really ends"
LOGIN_LIFETIME = "WORKSHOP.md, Step 06 · Logins that expire"
STRICT_FORMS = "WORKSHOP.md, Step 06 · Login forms that take nothing else"
THROTTLE = "WORKSHOP.md, Step 06 · A limit on failed logins"
PASSWORD_BUDGET = "WORKSHOP.md, Step 06 · A budget of password work per address"
COMMAND_LINE = "WORKSHOP.md, Step 06 · One function creates accounts"

# --- Step 07 -------------------------------------------------------------------------------------
STEP07_MODULES = "WORKSHOP.md, Step 07 · What changed since step 06"
CROSS_SITE = "WORKSHOP.md, Step 07 · No writes from other sites"
OWN_HOSTS = "WORKSHOP.md, Step 07 · Only our own host names"
BODY_LIMIT = "WORKSHOP.md, Step 07 · Bodies with a limit"
STRICT_BODIES = "WORKSHOP.md, Step 07 · Strict JSON"
OVERRIDE = "WORKSHOP.md, Step 07 · The method override"
HEADERS = "WORKSHOP.md, Step 07 · Headers a browser obeys"
ROUTES = "WORKSHOP.md, Step 07 · URLs the static files must not take"
ITEMS_PER_ACCOUNT = "WORKSHOP.md, Step 07 · What one account may keep"

# --- Step 08 -------------------------------------------------------------------------------------
STEP08_MODULES = "WORKSHOP.md, Step 08 · What changed since step 07"
SETTINGS = "WORKSHOP.md, Step 08 · Settings in one place"
REFUSE_TO_START = "WORKSHOP.md, Step 08 · A production server refuses to start half set up"
PROXIES = "WORKSHOP.md, Step 08 · Behind a proxy"
HUNG_DATABASE = "WORKSHOP.md, Step 08 · A database that hangs or is down"
LATE_INDEXES = "WORKSHOP.md, Step 08 · Indexes made when MongoDB comes up"
SERVE_RECIPE = "WORKSHOP.md, Step 08 · One command: make serve"
CONCURRENCY = "WORKSHOP.md, Step 08 · Many requests at once"
PRODUCTION = "WORKSHOP.md, Step 08 · Going to production"

# --- Extension exercises -------------------------------------------------------------------------
COUNT_EXERCISE = "WORKSHOP.md, Step 02 · Exercises"
MORE_TYPES_EXERCISE = "WORKSHOP.md, Step 03 · Exercises"
LOGOUT_EVERYWHERE_EXERCISE = "WORKSHOP.md, Step 04 · Exercises"
DONE_FILTER_EXERCISE = "WORKSHOP.md, Step 05 · Exercises"
ACTIVE_LOGINS_EXERCISE = "WORKSHOP.md, Step 06 · Exercises"
ITEM_BODY_LIMIT_EXERCISE = "WORKSHOP.md, Step 07 · Exercises"
HEALTH_CHECK_EXERCISE = "WORKSHOP.md, Step 08 · Exercises"

# --- A step's modules ----------------------------------------------------------------------------
# Where WORKSHOP.md teaches each module of a step: a module that is missing, or that raises,
# points there. app.py holds every step's lesson: it has none of its own (TEMPLATES by default).
MODULE_SECTIONS = {
    "demo": STEP02_MODULES,
    "encoder": ENCODER,
    "passwords": PASSWORDS,
    "auth": DECORATORS,
    "throttle": THROTTLE,
    "api": METHODVIEW,
    "validation": VALIDATION,
    "cross_site": CROSS_SITE,
    "bodies": BODY_LIMIT,
    "headers": HEADERS,
}
