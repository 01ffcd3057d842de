const { beijing, nextPage } = require('../utils/format');

test('ISO 8601 times with an offset are shown in Beijing time', () => {
  expect(beijing('2026-12-05T04:00:00+00:00')).toBe('2026年12月5日 12:00');
  expect(beijing('2026-12-31T20:30:00.123+00:00')).toBe('2027年1月1日 04:30');
  expect(beijing('2026-12-05T12:00:00+08:00')).toBe('2026年12月5日 12:00');
});

test('a session goes to the step its status needs (the call order of the contract)', () => {
  expect(nextPage({})).toBe('/pages/identity/index');
  expect(nextPage({ phone_verified: true })).toBe('/pages/identity/index');
  expect(nextPage({ phone_verified: true, identity_verified: true })).toBe('/pages/verify/index');
  expect(nextPage({ verified: true })).toBe('/pages/services/index');
});
