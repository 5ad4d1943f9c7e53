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
    Route("portal.forgot_password", PUBLIC_PAGE),
    Route("portal.forgot_password", expect(422, 422, 422, 422, 422, 422), method="POST"),
    Route("portal.account", CLIENT_PAGE),
    Route("portal.account", expect(302, 422, 422, 403, 403, 403), method="POST"),
]
