"""In-person service (来院领取 at the reception desk, 外出送达 at the recipient's place, with
留置送达 when they refuse): identity checks, captures, closing the task and its 送达回证."""
