"""Anomaly detection routed to the exception queues.

:mod:`.detection` holds the pure statistics (robust z-scores, level-shift tests,
near-duplicate matching) over NumPy arrays and their documented thresholds;
:mod:`.loading` reads the documents set-based; :mod:`.sources` registers one
exception-queue source per anomaly kind in the ``anomalies`` queue. Importing
:mod:`.sources` (done by the insight app at start-up) registers them.
"""
