// Times arrive as ISO 8601 with an offset; litigants read Beijing time.
function beijing(iso) {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (isNaN(ms)) return iso;
  const d = new Date(ms + 8 * 3600 * 1000);
  const pad = (n) => (n < 10 ? '0' + n : '' + n);
  return d.getUTCFullYear() + '年' + (d.getUTCMonth() + 1) + '月' + d.getUTCDate() + '日 ' +
    pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
}

// Where a session goes next (docs: x-call-order of the OpenAPI document).
function nextPage(status) {
  if (status && status.verified) return '/pages/services/index';
  if (status && status.phone_verified && status.identity_verified) return '/pages/verify/index';
  return '/pages/identity/index';
}

const CHALLENGE_PROMPT = { blink: '请眨眨眼', turn_left: '请向屏幕左侧转头', turn_right: '请向屏幕右侧转头' };

module.exports = { beijing, nextPage, CHALLENGE_PROMPT };
