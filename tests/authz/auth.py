from tests.authz import PUBLIC_PAGE, Route, expect

ROUTES = [
    Route("auth.index", expect(302, 302, 302, 302, 302, 302)),
    Route("auth.login", PUBLIC_PAGE),
    Route("auth.login", expect(422, 422, 422, 422, 422, 422), method="POST"),
    Route("auth.logout", expect(303, 303, 303, 303, 303, 303), method="POST"),
]
