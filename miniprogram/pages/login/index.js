const api = require('../../utils/api');
const session = require('../../utils/session');
const { nextPage } = require('../../utils/format');

function wxLogin() {
  return new Promise((resolve, reject) => wx.login({ success: (r) => resolve(r.code), fail: reject }));
}

Component({
  data: { busy: false, error: '' },
  methods: {
    onLoad() {},
    async login() {
      this.setData({ busy: true, error: '' });
      try {
        let answer;
        try {
          answer = await api.post('/session', { code: await wxLogin() });
        } catch (e) {
          // A stale or used code (wx_code_invalid / wx_code_used): one retry with a fresh one.
          if (e.code !== 'wx_code_invalid' && e.code !== 'wx_code_used') throw e;
          answer = await api.post('/session', { code: await wxLogin() });
        }
        session.save({ token: answer.token, expires_at: answer.expires_at });
        const state = await api.get('/session');
        session.save({ status: state.status, routes: state.routes });
        wx.redirectTo({ url: nextPage(state.status) });
      } catch (e) {
        this.setData({ error: e.retryAfter ? e.message : (e.message || '登录失败，请重试') });
      } finally {
        this.setData({ busy: false });
      }
    }
  }
});
