// The signing pad: a 2d canvas exported as PNG and uploaded as `signature`. The server refuses a
// signature whose ink spans less than a third of the image's shorter side (signature_too_little_ink).
const api = require('../../utils/api');
const session = require('../../utils/session');
const signaturePad = require('../../behaviors/signature-pad');

Component({
  behaviors: [signaturePad],
  data: { caseNumber: '', legalEffect: '', court: '', courtPhone: '', busy: false, error: '', deliveryId: 0 },
  methods: {
    onLoad(query) {
      const service = (session.load().services || []).find((s) => String(s.service_id) === String(query.service));
      if (!service) {
        wx.redirectTo({ url: '/pages/services/index' });
        return;
      }
      this.setData({ caseNumber: service.case_number, legalEffect: service.legal_effect || '', court: service.court,
                     courtPhone: service.court_phone, deliveryId: service.delivery.id });
      this.setUpPad();
    },
    clear() {
      this.clearPad();
      this.setData({ error: '' });
    },
    async confirm() {
      if (this.points.length < 5) {
        this.setData({ error: '请先在框内手写签名' });
        return;
      }
      this.setData({ busy: true, error: '' });
      try {
        const file = await this.exportPng();
        const signed = await api.upload('/deliveries/' + this.data.deliveryId + '/sign', 'signature', file);
        wx.redirectTo({ url: '/pages/receipt/index?no=' + signed.receipt_no });
      } catch (e) {
        if (e.code === 'signature_too_little_ink') this.clear();
        this.setData({ error: e.message || '签收失败，请重试' });
      } finally {
        this.setData({ busy: false });
      }
    }
  }
});
