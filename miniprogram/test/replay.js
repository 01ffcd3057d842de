// A `wx` that answers the client's calls from a recorded run of the server's API
// (fixtures/recorded-run.json, written by tests/miniprogram_api/test_contract.py): each
// wx.request / wx.uploadFile must be the next recorded call (method and path), in order.

const PREFIX = 'https://songda.example-court.gov.cn/mp/api/v1';

function createReplay(fixture) {
  const run = require('./fixtures/' + (fixture || 'recorded-run.json'));
  const calls = run.calls.slice();
  const made = [];
  const storage = {};
  const navigations = [];
  const state = { phoneCalls: [] };

  function next(method, url, body) {
    if (url.indexOf(PREFIX) !== 0) throw new Error('request outside the API: ' + url);
    const path = url.slice(PREFIX.length).split('?')[0];
    const expected = calls.shift();
    if (!expected) throw new Error('unrecorded call: ' + method + ' ' + path);
    if (expected.method !== method || expected.path !== path) {
      throw new Error('expected ' + expected.method + ' ' + expected.path + ', the client sent ' + method + ' ' + path);
    }
    made.push({ method, path, body });
    return expected;
  }

  function answer(recorded) {
    const header = {};
    Object.keys(recorded.headers || {}).forEach((k) => { header[k.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase())] = recorded.headers[k]; });
    return { statusCode: recorded.status, data: recorded.body === null ? '' : recorded.body, header };
  }

  const wx = {
    request(options) {
      let recorded;
      try {
        recorded = next(options.method || 'GET', options.url, options.data);
      } catch (e) {
        state.error = e;
        throw e;
      }
      setTimeout(() => options.success(answer(recorded)), 0);
    },
    uploadFile(options) {
      const recorded = next('POST', options.url, { name: options.name, filePath: options.filePath });
      const res = answer(recorded);
      res.data = JSON.stringify(res.data);
      setTimeout(() => options.success(res), 0);
    },
    login(options) { setTimeout(() => options.success({ code: 'wx-login-code' }), 0); },
    getStorageSync(key) { return storage[key] === undefined ? '' : JSON.parse(storage[key]); },
    setStorageSync(key, value) { storage[key] = JSON.stringify(value); },
    removeStorageSync(key) { delete storage[key]; },
    redirectTo(o) { navigations.push(['redirectTo', o.url]); },
    navigateTo(o) { navigations.push(['navigateTo', o.url]); },
    reLaunch(o) { navigations.push(['reLaunch', o.url]); },
    makePhoneCall(o) { state.phoneCalls.push(o.phoneNumber); },
    canvasToTempFilePath(o) { setTimeout(() => o.success({ tempFilePath: 'wxfile://signature.png' }), 0); },
    previewImage() {},
    stopPullDownRefresh() {},
    downloadFile(o) { setTimeout(() => o.success({ tempFilePath: 'wxfile://receipt.pdf', statusCode: 200 }), 0); },
    openDocument(o) { state.opened = o.filePath; },
    requestSubscribeMessage(o) { o.success({ [o.tmplIds[0]]: 'accept' }); },
    requestFacialVerify(o) { state.facialVerify = (state.facialVerify || 0) + 1; setTimeout(() => o.success({}), 0); }
  };
  return { wx, calls, made, navigations, state, storage };
}

module.exports = { createReplay };
