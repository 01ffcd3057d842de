const api = require('../../utils/api');
const session = require('../../utils/session');
const { nextPage } = require('../../utils/format');

Component({
  data: { phone: '', phoneCode: '', phoneMasked: '', name: '', idNumber: '', busy: false, error: '', countdown: 0 },
  methods: {
    onLoad() {
      const status = session.load().status || {};
      if (status.phone_verified) this.setData({ phoneMasked: status.phone_masked });
    },
    onPhoneInput(e) { this.setData({ phone: e.detail.value }); },
    onPhoneCodeInput(e) { this.setData({ phoneCode: e.detail.value }); },
    onNameInput(e) { this.setData({ name: e.detail.value }); },
    onIdInput(e) { this.setData({ idNumber: e.detail.value }); },
    fail(e) {
      this.setData({ error: e.message });
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
    proved(answer) {
      session.save({ status: answer.status, routes: answer.routes });
      this.setData({ phoneMasked: answer.phone_masked, error: '' });
    },
    async onPhone(e) {
      if (!e.detail || !e.detail.code) {
        this.setData({ error: '未获取到手机号，您也可以输入手机号接收验证码' });
        return;
      }
      try {
        this.proved(await api.post('/phone', { code: e.detail.code }));
      } catch (err) { this.fail(err); }
    },
    async sendPhoneCode() {
      try {
        await api.post('/phone/code', { phone: this.data.phone });
        this.startCountdown(60);
      } catch (err) { this.fail(err); }
    },
    async provePhoneByCode() {
      try {
        this.proved(await api.post('/phone', { phone: this.data.phone, sms_code: this.data.phoneCode }));
      } catch (err) { this.fail(err); }
    },
    async bindIdentity() {
      this.setData({ busy: true, error: '' });
      try {
        const answer = await api.post('/identity', { name: this.data.name.trim(), id_number: this.data.idNumber.trim() });
        session.save({ status: answer.status, routes: answer.routes });
        wx.redirectTo({ url: nextPage(answer.status) });
      } catch (err) { this.fail(err); } finally { this.setData({ busy: false }); }
    }
  }
});
