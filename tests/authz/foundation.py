from tests.authz import STAFF_PAGE, Route, expect

ROUTES = [
    Route("calendar.index", STAFF_PAGE),
    Route("clients.index", STAFF_PAGE),
    Route("settings.index", expect(302, 403, 403, 302, 302, 302)),
    Route("settings.team", STAFF_PAGE),
]
