// The receipt is sealed in the background: 202 with Retry-After until it is ready, then the PDF.
const api = require('../../utils/api');
const config = require('../../config');

const MAX_POLLS = 30;

Component({
  data: { receiptNo: '', ready: false, error: '' },
  methods: {
    onLoad(query) {
      this.setData({ receiptNo: query.no });
      this.polls = 0;
      return this.poll();
    },
    onUnload() { clearTimeout(this.timer); },
    async poll() {
      try {
        const res = await api.getFull('/receipts/' + this.data.receiptNo + '.pdf');
        if (res.statusCode === 200) {
          this.setData({ ready: true });
          return;
        }
        this.polls += 1;
        if (this.polls >= MAX_POLLS) {
          this.setData({ error: '送达回证生成较慢，请稍后在“我的送达”中查看' });
          return;
        }
        const wait = parseInt((res.header && (res.header['Retry-After'] || res.header['retry-after'])) || '2', 10);
        await new Promise((resolve) => { this.timer = setTimeout(resolve, wait * 1000); });
        await this.poll();
      } catch (e) {
        this.setData({ error: e.message });
      }
    },
    openPdf() {
      wx.downloadFile({
        url: config.baseUrl + '/mp/api/v1/receipts/' + this.data.receiptNo + '.pdf',
        header: api.authHeader(),
        success: (r) => wx.openDocument({ filePath: r.tempFilePath, fileType: 'pdf', showMenu: true }),
        fail: () => this.setData({ error: '下载失败，请重试' })
      });
    },
    subscribe() { wx.navigateTo({ url: '/pages/subscribe/index' }); },
    back() { wx.reLaunch({ url: '/pages/services/index' }); }
  }
});
