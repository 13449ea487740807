"""Complaint tickets: opening one from a call (``opening``) or by hand (``intake``), the status
groups the rules speak of (``status``), deadlines (``sla``, ``deadline_alerts``,
``deadline_report``), QC's steps (``workflow``, ``poaching``), the complaint page's reads
(``detail``), category names (``categories``) and the QC inbox (``inbox``)."""
