"""Complaints (pengaduan): anyone may complain, anonymously or not; each complaint goes to its service's agency,
gets a reference a person can read out and a link to follow it, and must be answered within the site's working
days. Staff answer in an inbox; the visitor sees each answer on their link.

Other features listen to :mod:`queue_app.complaints.signals` (``complaint_received``, ``complaint_answered``);
the privacy feature erases the contact details given with a complaint through
:func:`queue_app.complaints.operations.erase_contact` and :func:`~queue_app.complaints.operations.contacts_older_than`.
"""
