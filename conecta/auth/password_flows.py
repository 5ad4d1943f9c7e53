"""The password pages staff and portal clients share: Forgot password, the page a password link opens,
and Your account's Change password. The staff routes (conecta.auth.views) and the portal's
(conecta.portal.account_views) are thin: they say who may be found and where to go next.

Whatever the path, a new password goes through `SessionHolder.set_password_hash`, which ends every
session signed in so far; the browser that changed it is signed in again on the new session version.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from conecta.auth import links
from conecta.auth.forms import ChangePasswordForm, ForgotPasswordForm, SetPasswordForm
from conecta.auth.passwords import hash_password, verify_password
from conecta.auth.views import sign_in
from conecta.extensions import db


def forgot(kind: str, portal: bool):
    """GET: the form. POST: ask for a reset link to each account of `kind` ("user" or "client") using
    the typed address (`password_mail.request_reset`), and answer the same whether or not there is one
    (the page never tells which emails have accounts)."""
    from conecta.mail import password_mail

    form = ForgotPasswordForm()
    sent = False
    if form.validate_on_submit():
        password_mail.request_reset(form.email.data.strip().lower(), kind)
        sent = True
    status = 422 if request.method == "POST" and not sent else 200
    return render_template("auth/forgot_password.html", form=form, sent=sent, portal=portal), status


def set_from_link(token: str, kind: str, portal: bool, home: str):
    """The page a password link opens: choose a password, then signed in (every other session ended).
    An unknown, used, expired or tampered link shows one page that says so (404)."""
    found = links.load_token(token, kind)
    if found is None:
        return render_template("auth/link_invalid.html", portal=portal), 404
    who, purpose = found
    form = SetPasswordForm()
    if form.validate_on_submit():
        who.set_password_hash(hash_password(form.password.data))  # the link dies with the old hash
        db.session.commit()
        sign_in(who)
        with force_locale(who.locale):
            flash(
                _("Your password is set. Welcome!")
                if purpose == links.INVITE
                else _("Your password is changed.")
            )
        return redirect(home, code=303)
    status = 422 if request.method == "POST" else 200
    with force_locale(who.locale):  # the link's owner's language, before they are signed in
        return (
            render_template(
                "auth/set_password.html",
                form=form,
                who=who,
                purpose=purpose,
                portal=portal,
                org_name=who.org.name,
            ),
            status,
        )


def change(portal: bool, here: str):
    """Your account: current password, then the new one twice. Other sessions end; this one stays."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if verify_password(current_user.password_hash, form.current.data):
            who = current_user._get_current_object()
            who.set_password_hash(hash_password(form.password.data))
            db.session.commit()
            sign_in(who)  # this browser carries on, on the new session version
            flash(_("Your password is changed. You are signed out on every other device."))
            return redirect(here, code=303)
        form.current.errors = [*form.current.errors, _("This is not your current password.")]
    status = 422 if request.method == "POST" else 200
    return render_template("auth/account.html", form=form, portal=portal), status
