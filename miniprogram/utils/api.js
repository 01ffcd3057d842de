// The /mp/api/v1 client: the contract is the server's /mp/api/v1/openapi.json. Errors come back as
// ApiError(code, message, status, details, retryAfter); token_invalid sends the user to login.
const config = require('../config');
const session = require('./session');

const PREFIX = '/mp/api/v1';

class ApiError extends Error {
  constructor(status, body, headers) {
    const error = (body && body.error) || {};
    // A face check that did not pass is a 422 without an error object: {passed: false, message}.
    const notPassed = body && body.passed === false;
    super(error.message || (notPassed && body.message) || '服务暂时不可用，请稍后再试');
    this.status = status;
    this.code = error.code || (notPassed ? 'not_passed' : 'network_error');
    this.details = error.details;
    this.retryAfter = retryAfter(headers, error.details);
  }
}

function retryAfter(headers, details) {
  const header = headers && (headers['Retry-After'] || headers['retry-after']);
  if (header) return parseInt(header, 10);
  return details && details.retry_after ? details.retry_after : null;
}

function url(path) {
  return config.baseUrl + PREFIX + path;
}

function authHeader() {
  const token = session.load().token;
  return token ? { Authorization: 'Bearer ' + token } : {};
}

function relogin() {
  session.clear();
  wx.reLaunch({ url: '/pages/login/index' });
}

// resolve(body) for 2xx (the whole response when `full`), reject(ApiError) otherwise.
function request(method, path, data, options) {
  const opts = options || {};
  return new Promise((resolve, reject) => {
    wx.request({
      url: url(path),
      method,
      data: data || {},
      header: Object.assign({ 'content-type': 'application/json' }, authHeader()),
      success(res) {
        if (res.statusCode >= 200 && res.statusCode < 300) {
          resolve(opts.full ? res : res.data);
          return;
        }
        const error = new ApiError(res.statusCode, res.data, res.header);
        if (error.code === 'token_invalid') relogin();
        reject(error);
      },
      fail() {
        reject(new ApiError(0, { error: { code: 'network_error', message: '网络连接失败，请检查网络后重试' } }));
      }
    });
  });
}

function upload(path, name, filePath, formData) {
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: url(path),
      name,
      filePath,
      formData: formData || {},
      header: authHeader(),
      success(res) {
        const body = typeof res.data === 'string' ? safeJson(res.data) : res.data;
        if (res.statusCode >= 200 && res.statusCode < 300) resolve(body);
        else {
          const error = new ApiError(res.statusCode, body, res.header);
          if (error.code === 'token_invalid') relogin();
          reject(error);
        }
      },
      fail() {
        reject(new ApiError(0, { error: { code: 'network_error', message: '上传失败，请检查网络后重试' } }));
      }
    });
  });
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    return null;
  }
}

function absolute(path) {
  // Page-image and receipt URLs come back relative to the server root.
  return path.indexOf('http') === 0 ? path : config.baseUrl + path;
}

module.exports = {
  ApiError,
  absolute,
  authHeader,
  get: (path) => request('GET', path),
  getFull: (path) => request('GET', path, null, { full: true }),
  post: (path, data) => request('POST', path, data),
  del: (path) => request('DELETE', path),
  upload
};
