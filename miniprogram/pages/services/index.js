const api = require('../../utils/api');
const session = require('../../utils/session');

Component({
  data: { services: [], loaded: false, error: '' },
  methods: {
    onLoad() { return this.refresh(); },
    onShow() { return this.data.loaded ? this.refresh() : null; },
    onPullDownRefresh() { return this.refresh().then(() => wx.stopPullDownRefresh()); },
    async refresh() {
      try {
        const answer = await api.get('/services');
        session.save({ services: answer.services });
        this.setData({ services: answer.services, loaded: true, error: '' });
      } catch (e) {
        if (e.code === 'verification_required') wx.redirectTo({ url: '/pages/verify/index' });
        else this.setData({ error: e.message, loaded: true });
      }
    },
    openDocument(e) {
      const { delivery, document } = e.currentTarget.dataset;
      wx.navigateTo({ url: '/pages/document/index?delivery=' + delivery + '&document=' + document });
    },
    sign(e) {
      const service = this.data.services[e.currentTarget.dataset.index];
      const unread = service.documents.filter((d) => !d.viewed);
      if (unread.length) {
        this.setData({ error: '请先阅读全部文书（还有 ' + unread.length + ' 份未阅）后再签收' });
        return;
      }
      wx.navigateTo({ url: '/pages/sign/index?service=' + service.service_id });
    },
    openReceipt(e) {
      wx.navigateTo({ url: '/pages/receipt/index?no=' + e.currentTarget.dataset.no });
    },
    confirmAddress(e) {
      wx.navigateTo({ url: '/pages/confirm/index?case=' + e.currentTarget.dataset.case });
    },
    subscribe() {
      wx.navigateTo({ url: '/pages/subscribe/index' });
    }
  }
});
