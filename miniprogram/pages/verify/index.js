// The second factor: an SMS code to the proved phone (always offered), or a face check after the
// separate consent — WeChat 人脸核身 by default, the court's local matching where enabled.
const api = require('../../utils/api');
const session = require('../../utils/session');

Component({
  data: { phoneMasked: '', code: '', countdown: 0, busy: false, error: '', faceOffered: false, faceMethod: 'wechat',
          consented: false, consentText: '', consentVersion: '' },
  methods: {
    async onLoad() {
      const state = await api.get('/session');
      session.save({ status: state.status, routes: state.routes });
      this.setData({ phoneMasked: state.status.phone_masked || '', faceOffered: !!state.routes.face,
                     faceMethod: state.routes.face_method || 'wechat' });
      if (state.routes.face) {
        const consent = await api.get('/face/consent');
        this.setData({ consented: consent.consented, consentText: consent.text, consentVersion: consent.version });
      }
    },
    onCodeInput(e) { this.setData({ code: e.detail.value }); },
    fail(e) {
      this.setData({ error: e.message, busy: false });
      if (e.retryAfter) this.startCountdown(e.retryAfter);
    },
    startCountdown(seconds) {
      this.setData({ countdown: seconds });
      clearInterval(this.timer);
      this.timer = setInterval(() => {
        const left = this.data.countdown - 1;
        this.setData({ countdown: left > 0 ? left : 0 });
        if (left <= 0) clearInterval(this.timer);
      }, 1000);
    },
    async sendCode() {
      try {
        await api.post('/phone/code', {});
        this.setData({ error: '' });
        this.startCountdown(60);
      } catch (e) { this.fail(e); }
    },
    async checkCode() {
      this.setData({ busy: true, error: '' });
      try {
        const answer = await api.post('/phone', { sms_code: this.data.code.trim() });
        this.verified(answer.status);
      } catch (e) {
        this.setData({ code: '' });
        this.fail(e);
      }
    },
    verified(status) {
      session.save({ status });
      clearInterval(this.timer);
      if (status.verified) wx.redirectTo({ url: '/pages/services/index' });
    },
    async agreeFace() {
      try {
        await api.post('/face/consent', { version: this.data.consentVersion });
        this.setData({ consented: true });
      } catch (e) { this.fail(e); }
    },
    async startFace() {
      if (this.data.faceMethod === 'local') {
        wx.navigateTo({ url: '/pages/face/index' });
        return;
      }
      try {
        const started = await api.post('/face/wechat/start', {});
        await new Promise((resolve, reject) => wx.requestFacialVerify({
          verifyId: started.verify_id, success: resolve, fail: reject }));
        const result = await api.post('/face/wechat/finish', {});
        this.verified(result.status);
      } catch (e) {
        // 未通过 comes back as a 422 with {passed: false, message}; the SMS route stays on screen.
        this.setData({ error: (e && e.message) || '未通过，请改用短信验证码' });
      }
    }
  }
});
