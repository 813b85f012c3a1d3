"""The evaluation pack: what an MPP's yearly evaluation (KemenPANRB's PEKPPP, the MPP monitoring and evaluation)
asks for, for one period, out of the system that runs the hall: the IKM and its follow-up, complaints received
and answered in time, the published standards and maklumat, and the service levels.

It reads the survey, complaints, standards and statistics features, so it sits one layer above them.
"""
