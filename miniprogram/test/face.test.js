// The second factor by face where the court uses WeChat 人脸核身 (the default): the separate
// consent, a scan that does not pass (the page says 未通过 and keeps the SMS route), then one that
// passes — against a recorded run (fixtures/recorded-face-wechat.json).
const path = require('path');
const simulate = require('miniprogram-simulate');
const { createReplay } = require('./replay');

const ROOT = path.resolve(__dirname, '..');

test('WeChat 人脸核身 after the separate consent; a failure says only 未通过', async () => {
  const replay = createReplay('recorded-face-wechat.json');
  Object.assign(global.wx, replay.wx);
  replay.wx.setStorageSync('songda.session', { token: 'recorded' });
  const phone = simulate.load(path.join(ROOT, 'components/court-phone/index'), { rootPath: ROOT, compiler: 'simulate' });
  const id = simulate.load(path.join(ROOT, 'pages/verify/index'),
    { rootPath: ROOT, compiler: 'simulate', usingComponents: { 'court-phone': phone } });
  const verify = simulate.render(id);
  verify.attach(document.createElement('parent-wrapper'));
  await verify.instance.onLoad({});
  const text = () => verify.dom.textContent.replace(/\s+/g, ' ');
  expect(text()).toContain('人脸识别单独同意书');
  expect(text()).toContain('短信验证码');
  await verify.instance.agreeFace();
  expect(verify.data.consented).toBe(true);
  expect(text()).toContain('开始人脸识别');

  await verify.instance.startFace();
  expect(replay.state.facialVerify).toBe(1);
  expect(verify.data.error).toBe('未通过');
  expect(text()).toContain('发送验证码');  // the SMS route stays on screen
  expect(replay.navigations).toEqual([]);

  await verify.instance.startFace();
  expect(replay.navigations).toEqual([['redirectTo', '/pages/services/index']]);
  expect(replay.calls).toEqual([]);
});
