// Local matching (only where the court enabled it): a selfie, then the server's challenge captured
// as a timed sequence from one camera — frames about 250 ms apart, their capture times sent along.
const api = require('../../utils/api');
const config = require('../../config');
const { CHALLENGE_PROMPT } = require('../../utils/format');

const FRAMES = 6;
const GAP_MS = 250;

function photo(camera) {
  return new Promise((resolve, reject) => camera.takePhoto({ quality: 'normal', success: (r) => resolve(r.tempImagePath), fail: reject }));
}

function uploadAll(fields, files) {
  // wx.uploadFile sends one file; the verify call is multipart with several, so the frames are
  // sent as one request built by hand.
  const boundary = 'songda' + Date.now();
  const fs = wx.getFileSystemManager();
  const parts = [];
  const push = (text) => parts.push(new Uint8Array(text.split('').map((c) => c.charCodeAt(0))));
  Object.keys(fields).forEach((name) => {
    push('--' + boundary + '\r\nContent-Disposition: form-data; name="' + name + '"\r\n\r\n' + fields[name] + '\r\n');
  });
  files.forEach(([name, path], i) => {
    push('--' + boundary + '\r\nContent-Disposition: form-data; name="' + name + '"; filename="' + name + i + '.jpg"\r\n' +
         'Content-Type: image/jpeg\r\n\r\n');
    parts.push(new Uint8Array(fs.readFileSync(path)));
    push('\r\n');
  });
  push('--' + boundary + '--\r\n');
  const size = parts.reduce((n, p) => n + p.length, 0);
  const body = new Uint8Array(size);
  let at = 0;
  parts.forEach((p) => { body.set(p, at); at += p.length; });
  return new Promise((resolve) => wx.request({
    url: config.baseUrl + '/mp/api/v1/face/verify', method: 'POST', data: body.buffer,
    header: Object.assign({ 'content-type': 'multipart/form-data; boundary=' + boundary }, api.authHeader()),
    success: resolve, fail: () => resolve({ statusCode: 0, data: { message: '网络连接失败' } })
  }));
}

Component({
  data: { reference: '', prompt: '', busy: false, error: '' },
  methods: {
    onLoad() {},
    pickReference() {
      wx.chooseMedia({ count: 1, mediaType: ['image'], sourceType: ['camera'], camera: 'back',
        success: (r) => this.setData({ reference: r.tempFiles[0].tempFilePath }) });
    },
    async capture() {
      this.setData({ busy: true, error: '' });
      try {
        const camera = wx.createCameraContext();
        const selfie = await photo(camera);
        const challenge = await api.post('/face/challenge', {});
        this.setData({ prompt: CHALLENGE_PROMPT[challenge.kind] });
        const frames = [];
        const times = [];
        const start = Date.now();
        for (let i = 0; i < FRAMES; i += 1) {
          frames.push(await photo(camera));
          times.push(Date.now() - start);
          await new Promise((r) => setTimeout(r, GAP_MS));
        }
        const res = await uploadAll({ challenge_id: challenge.challenge_id, frame_ms: times.join(',') },
          [['reference', this.data.reference], ['selfie', selfie]].concat(frames.map((f) => ['frame', f])));
        if (res.statusCode === 200) {
          wx.redirectTo({ url: '/pages/services/index' });
        } else {
          const body = res.data || {};
          this.setData({ error: (body.error && body.error.message) || body.message || '未通过', prompt: '' });
        }
      } catch (e) {
        this.setData({ error: e.message || '未通过' });
      } finally {
        this.setData({ busy: false });
      }
    }
  }
});
