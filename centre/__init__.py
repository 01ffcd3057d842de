"""The service centre (送达中心): tasks on every human channel, dispatch, handling, evidence,
tracking, escalation and the statistics the court pays the centre by."""
