"""The QC desk: the complaint inbox, the complaint page and its actions, repeat repairs, customers.
One module per screen; they all add their routes to this blueprint."""

from flask import Blueprint

bp = Blueprint("qc", __name__, url_prefix="/qc")

from console.qc import (  # noqa: E402,F401
    attachments,  # files on a complaint: upload, serve, remove
    canned_replies,  # the canned replies supervisors and admins keep
    complaint,  # the complaint page and its actions
    customer_email,  # the complaint page: email the customer, canned replies
    customers,  # the customer page, frequent complainers
    deadline_helpers,  # the deadline badge and durations, on every page that shows them
    inbox,  # the inbox, bulk assign, new complaint
    repeats,  # repeat repairs: the review queue, the weekly board, flagged orders
    saved_views,  # the inbox's saved views; who else has a complaint page open
)
