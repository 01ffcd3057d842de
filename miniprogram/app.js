// The pages are written with Component() (allowed for pages) so that miniprogram-simulate can
// load them in tests; shared state lives in utils/session.js (storage), not in getApp().
App({});
