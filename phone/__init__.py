"""Phone contact (电话联系 / 12368): recorded click-to-call placed by the platform, one-click SMS
from a task, and the address a litigant confirmed by phone. Sits beside ``centre``: a call is an
attempt's contact, its recording the attempt's evidence."""
