// Token and verification state, kept in wx storage (the token is the server's session id).
const KEY = 'songda.session';

function load() {
  return wx.getStorageSync(KEY) || {};
}

function save(changes) {
  const next = Object.assign({}, load(), changes);
  wx.setStorageSync(KEY, next);
  return next;
}

function clear() {
  wx.removeStorageSync(KEY);
}

module.exports = { load, save, clear };
