"""Step 06: no item changes from other sites, whatever the method, the override's included."""

import pytest

from answers import assert_json_error, expect_status
from item_requests import OVERRIDES, REQUESTS, WRITES, items_in, send, stored
from sections import CROSS_SITE, OVERRIDE
from support import create_item, site_header_cases

pytestmark = [pytest.mark.steps(6, 6), pytest.mark.hardening]


@pytest.mark.parametrize(("headers", "own_site"), site_header_cases())
def test_writes_work_from_the_own_site_only(client, db, item, headers, own_site):
    for name in WRITES:
        if not own_site:
            before = items_in(db)
            response = send(client, name, item["_id"], **headers)
            assert_json_error(response, 403, f"{name}, cross-site", CROSS_SITE)
            assert items_in(db) == before, (
                f"{name} from another site changes nothing ({CROSS_SITE})"
            )
            continue
        target = create_item(client, CROSS_SITE, title="target")
        count = len(items_in(db))
        response = send(client, name, target["_id"], **headers)
        status = REQUESTS[name][2]
        # An override that fails from the own site fails as the override, not as a cross-site one.
        section = OVERRIDE if name in OVERRIDES else CROSS_SITE
        expect_status(response, status, f"{name} from the step's own site", section)
        assert len(items_in(db)) == count + {201: 1, 200: 0, 204: -1}[status], (
            f"{name} from the step's own site does its work ({section})"
        )
        if status == 200:
            assert stored(db, target["_id"])["title"] == "new", (
                f"{name} from the step's own site changes the item ({section})"
            )
