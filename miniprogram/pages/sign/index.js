// The signing pad: a 2d canvas exported as PNG and uploaded as `signature`. The server refuses a
// signature whose ink spans less than a third of the image's shorter side (signature_too_little_ink).
const api = require('../../utils/api');
const session = require('../../utils/session');

Component({
  data: { caseNumber: '', legalEffect: '', court: '', courtPhone: '', busy: false, error: '', deliveryId: 0 },
  methods: {
    onLoad(query) {
      const service = (session.load().services || []).find((s) => String(s.service_id) === String(query.service));
      if (!service) {
        wx.redirectTo({ url: '/pages/services/index' });
        return;
      }
      this.points = [];
      this.setData({ caseNumber: service.case_number, legalEffect: service.legal_effect || '', court: service.court,
                     courtPhone: service.court_phone, deliveryId: service.delivery.id });
      this.createSelectorQuery().select('#pad').fields({ node: true, size: true }).exec((res) => {
        const info = res && res[0];
        if (!info || !info.node) return;  // not in a real client (tests)
        const dpr = wx.getWindowInfo ? wx.getWindowInfo().pixelRatio : 2;
        info.node.width = info.width * dpr;
        info.node.height = info.height * dpr;
        this.canvas = info.node;
        this.ctx = info.node.getContext('2d');
        this.ctx.scale(dpr, dpr);
        this.ctx.lineWidth = 4;
        this.ctx.lineCap = 'round';
        this.ctx.strokeStyle = '#000';
      });
    },
    point(e) {
      const t = e.touches && e.touches[0];
      return t ? { x: t.x, y: t.y } : null;
    },
    start(e) {
      const p = this.point(e);
      if (!p) return;
      this.points.push(p);
      if (this.ctx) { this.ctx.beginPath(); this.ctx.moveTo(p.x, p.y); }
    },
    move(e) {
      const p = this.point(e);
      if (!p) return;
      this.points.push(p);
      if (this.ctx) { this.ctx.lineTo(p.x, p.y); this.ctx.stroke(); }
    },
    end() {},
    clear() {
      this.points = [];
      if (this.ctx && this.canvas) this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
      this.setData({ error: '' });
    },
    exportPng() {
      return new Promise((resolve, reject) => wx.canvasToTempFilePath({
        canvas: this.canvas, fileType: 'png', success: (r) => resolve(r.tempFilePath), fail: reject }, this));
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
