// Subscribe-message opt-in (一次性订阅): WeChat shows its own dialog; the server sends one
// message per new service while a subscription is left (miniprogram_api/subscribe.py).
const config = require('../../config');

Component({
  data: { available: !!config.subscribeTemplateId, result: '' },
  methods: {
    onLoad() {
      if (!config.subscribeTemplateId) this.setData({ result: '本院尚未开通订阅通知' });
    },
    allow() {
      const id = config.subscribeTemplateId;
      wx.requestSubscribeMessage({
        tmplIds: [id],
        success: (res) => this.setData({ result: res[id] === 'accept' ? '已开启：有新文书时会通知您' : '未开启通知，您可随时再来开启' }),
        fail: () => this.setData({ result: '未开启通知，您可随时再来开启' })
      });
    }
  }
});
