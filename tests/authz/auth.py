from tests.authz import PUBLIC_PAGE, Route, expect

ROUTES = [
    Route("auth.index", expect(302, 302, 302, 302, 302, 302)),
    Route("auth.login", PUBLIC_PAGE),
    Route("auth.login", expect(422, 422, 422, 422, 422, 422), method="POST"),
    Route("auth.logout", expect(303, 303, 303, 303, 303, 303), method="POST"),
    Route("auth.forgot_password", PUBLIC_PAGE),
    Route("auth.forgot_password", expect(422, 422, 422, 422, 422, 422), method="POST"),
    Route("auth.set_password", expect(404, 404, 404, 404, 404, 404), params=lambda w: {"token": "bogus"}),
    Route(
        "auth.set_password",
        expect(404, 404, 404, 404, 404, 404),
        method="POST",
        params=lambda w: {"token": "bogus"},
    ),
    Route("auth.account", expect(302, 403, 403, 200, 200, 200)),
    Route("auth.account", expect(302, 403, 403, 422, 422, 422), method="POST"),
]
