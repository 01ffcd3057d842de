// The second factor by face where the court uses WeChat 人脸核身 (the default): the separate
// consent, a scan that does not pass (the page says 未通过 and keeps the SMS route), then one that
// passes — against a recorded run (fixtures/recorded-face-wechat.json).
const { createReplay } = require('./replay');
const { page } = require('./pages');

test('WeChat 人脸核身 after the separate consent; a failure says only 未通过', async () => {
  const replay = createReplay('recorded-face-wechat.json');
  Object.assign(global.wx, replay.wx);
  replay.wx.setStorageSync('songda.session', { token: 'recorded' });
  const verify = page('verify');
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

test('local matching: the server\'s challenge, six timed frames from one camera, 未通过', async () => {
  const replay = createReplay('recorded-face-local.json');
  let shots = 0;
  Object.assign(global.wx, replay.wx, {
    createCameraContext: () => ({ takePhoto: (o) => { shots += 1; setTimeout(() => o.success({ tempImagePath: 'wxfile://shot' + shots + '.jpg' }), 0); } }),
    chooseMedia: (o) => o.success({ tempFiles: [{ tempFilePath: 'wxfile://id-card.jpg' }] }),
    getFileSystemManager: () => ({ readFileSync: (p) => new Uint8Array(Buffer.from('JPEG:' + p)).buffer })
  });
  const face = page('face');
  face.instance.onLoad({});
  face.instance.pickReference();
  await face.instance.capture();
  expect(shots).toBe(7);  // the selfie, then six frames
  const sent = replay.made[replay.made.length - 1];
  const body = Buffer.from(sent.body).toString('latin1');
  const times = /name="frame_ms"\r\n\r\n([0-9,]+)\r\n/.exec(body)[1].split(',').map(Number);
  expect(times).toHaveLength(6);
  times.slice(1).forEach((t, i) => expect(t).toBeGreaterThan(times[i]));  // a camera's order
  expect(body).toContain('name="challenge_id"');
  expect((body.match(/name="frame"; filename=/g) || []).length).toBe(6);
  expect(body).toContain('JPEG:wxfile://id-card.jpg');
  expect(face.data.error).toBe('未通过');
  expect(replay.navigations).toEqual([]);
  expect(replay.calls).toEqual([]);
});
