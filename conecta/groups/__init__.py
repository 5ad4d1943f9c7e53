"""Group sessions: one appointment, several clients (its participants), one Zoom meeting.

`participants` holds the rules and the membership saves; `views` the drawer's Add client / Remove.
"""
