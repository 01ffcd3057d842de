// 送达地址确认书: the addresses on file (masked), the form, the notice, then an SMS code to the
// phone on file, the handwritten signature and the sealed PDF. A province that does not exist is
// refused by the server before any text (confirmation_invalid, details[].field under each input).
const api = require('../../utils/api');
const config = require('../../config');
const signaturePad = require('../../behaviors/signature-pad');

const FIELDS = ['postal', 'phone', 'email', 'wechat'];

function newKey() {
  // An idempotency key for this page's submissions (a retry sends the same one), not a secret.
  let key = Date.now().toString(36);
  while (key.length < 24) key += Math.random().toString(36).slice(2);
  return key.slice(0, 32);
}

Component({
  behaviors: [signaturePad],
  data: {
    caseId: 0, caseNumber: '', court: '', recipientName: '', phoneMasked: '', onFile: [], confirmations: [],
    notice: [], acceptedText: '', postal: '', phone: '', email: '', wechat: '', accepted: false, code: '',
    step: 'form', sent: false, busy: false, error: '', fieldErrors: {}, confirmation: null
  },
  methods: {
    async onLoad(query) {
      this.points = [];
      this.submissionKey = newKey();
      this.setData({ caseId: Number(query.case) });
      try {
        const form = await api.get('/cases/' + query.case + '/address-confirmation');
        this.setData({ caseNumber: form.case.case_number, court: form.case.court, recipientName: form.recipient.name,
                       phoneMasked: form.recipient.phone_masked, onFile: form.on_file,
                       confirmations: form.confirmations, notice: form.notice, acceptedText: form.accepted_text });
      } catch (e) {
        if (e.code === 'verification_required') wx.redirectTo({ url: '/pages/verify/index' });
        else this.setData({ error: e.message });
      }
    },
    onInput(e) {
      const field = e.currentTarget.dataset.field;
      this.setData({ [field]: e.detail.value, ['fieldErrors.' + field]: '' });
    },
    onAccept(e) {
      this.setData({ accepted: (e.detail.value || []).length > 0 });
    },
    fields() {
      const out = {};
      FIELDS.forEach((f) => { out[f] = this.data[f]; });
      return out;
    },
    showError(e) {
      const fieldErrors = {};
      (Array.isArray(e.details) ? e.details : []).forEach((d) => { if (d.field) fieldErrors[d.field] = d.message; });
      this.setData({ error: e.message, fieldErrors });
    },
    async sendCode() {
      if (!this.data.accepted) {
        this.setData({ error: '请阅读告知事项并勾选确认' });
        return;
      }
      this.setData({ busy: true, error: '', fieldErrors: {} });
      try {
        await api.post('/cases/' + this.data.caseId + '/address-confirmation/code',
          Object.assign(this.fields(), { accepted: true }));
        this.setData({ step: 'sign', sent: true });
        this.setUpPad();
      } catch (e) {
        this.showError(e);
      } finally {
        this.setData({ busy: false });
      }
    },
    clear() {
      this.clearPad();
    },
    back() {
      this.setData({ step: 'form', error: '' });
    },
    async submit() {
      if (this.points.length < 5) {
        this.setData({ error: '请先在框内手写签名' });
        return;
      }
      if (!/^[0-9]{6}$/.test(this.data.code)) {
        this.setData({ error: '请输入6位短信验证码' });
        return;
      }
      this.setData({ busy: true, error: '' });
      try {
        const file = await this.exportPng();
        const done = await api.upload('/cases/' + this.data.caseId + '/address-confirmation', 'signature', file,
          Object.assign(this.fields(), { accepted: '1', code: this.data.code, submission_key: this.submissionKey }));
        this.setData({ step: 'done', confirmation: done });
      } catch (e) {
        if (e.code === 'signature_too_little_ink') this.clear();
        if (e.code === 'confirmation_invalid') this.setData({ step: 'form' });
        this.showError(e);
      } finally {
        this.setData({ busy: false });
      }
    },
    openPdf() {
      wx.downloadFile({
        url: config.baseUrl + this.data.confirmation.url,
        header: api.authHeader(),
        success: (r) => wx.openDocument({ filePath: r.tempFilePath, fileType: 'pdf', showMenu: true }),
        fail: () => this.setData({ error: '下载失败，请重试' })
      });
    },
    backToServices() { wx.reLaunch({ url: '/pages/services/index' }); }
  }
});
