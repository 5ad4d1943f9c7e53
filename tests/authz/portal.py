from tests.authz import CLIENT_PAGE, PUBLIC_PAGE, Route, expect

ROUTES = [
    Route("portal.login", PUBLIC_PAGE),
    Route("portal.login", expect(422, 422, 422, 422, 422, 422), method="POST"),
    Route("portal.accept_invite", expect(404, 404, 404, 404, 404, 404), params=lambda w: {"token": "bogus"}),
    Route(
        "portal.accept_invite",
        expect(404, 404, 404, 404, 404, 404),
        method="POST",
        params=lambda w: {"token": "bogus"},
    ),
    Route("portal.index", CLIENT_PAGE),
]
