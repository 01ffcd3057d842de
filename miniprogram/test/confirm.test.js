// 送达地址确认书 in the mini-program, against a recorded run (fixtures/recorded-address-confirmation.json,
// written by tests/miniprogram_api/test_address_confirmation.py): the masked addresses on file, a
// province that does not exist shown under its input (no code sent), the code, the signature, done.
const simulate = require('miniprogram-simulate');
const { createReplay } = require('./replay');
const { page } = require('./pages');

function text(comp) {
  return comp.dom.textContent.replace(/\s+/g, ' ');
}

async function settle() {
  for (let i = 0; i < 5; i += 1) await simulate.sleep(5);
}

test('confirm addresses: bad province, code, signature, sealed confirmation', async () => {
  const replay = createReplay('recorded-address-confirmation.json');
  Object.assign(global.wx, replay.wx);
  replay.wx.setStorageSync('songda.session', { token: 'recorded' });
  const confirm = page('confirm');
  const caseId = replay.calls[0].path.split('/')[2];
  await confirm.instance.onLoad({ case: caseId });
  await settle();
  expect(text(confirm)).toContain('告知事项');
  expect(text(confirm)).toContain('第一百三十七条');
  expect(text(confirm)).toContain('****');  // on file: masked only
  expect(confirm.data.onFile.length).toBeGreaterThan(0);

  // Without accepting the notice nothing is sent.
  await confirm.instance.sendCode();
  expect(confirm.data.error).toBe('请阅读告知事项并勾选确认');
  expect(replay.made).toHaveLength(1);

  confirm.instance.onAccept({ detail: { value: ['1'] } });
  confirm.instance.onInput({ currentTarget: { dataset: { field: 'postal' } }, detail: { value: '火星省奥林匹斯市环形山路1号' } });
  await confirm.instance.sendCode();
  await settle();
  expect(confirm.data.step).toBe('form');
  expect(confirm.data.fieldErrors.postal).toContain('行政区划');
  expect(confirm.querySelector('#postal-error').dom.textContent).toContain('省、市、区县');

  confirm.instance.onInput({ currentTarget: { dataset: { field: 'postal' } }, detail: { value: '广西壮族自治区北海市海城区北部湾中路12号' } });
  expect(confirm.data.fieldErrors.postal).toBe('');
  await confirm.instance.sendCode();
  await settle();
  expect(confirm.data.step).toBe('sign');
  expect(text(confirm)).toContain('验证码已发送至');

  // A tap is not a signature; a short code is refused by the page itself.
  await confirm.instance.submit();
  expect(confirm.data.error).toBe('请先在框内手写签名');
  for (let i = 0; i < 8; i += 1) confirm.instance.move({ touches: [{ x: 10 + i * 20, y: 40 + i * 5 }] });
  confirm.instance.onInput({ currentTarget: { dataset: { field: 'code' } }, detail: { value: '12' } });
  await confirm.instance.submit();
  expect(confirm.data.error).toBe('请输入6位短信验证码');
  confirm.instance.onInput({ currentTarget: { dataset: { field: 'code' } }, detail: { value: '123456' } });
  await confirm.instance.submit();
  await settle();
  expect(confirm.data.step).toBe('done');
  const sent = replay.made[replay.made.length - 1];
  expect(sent.body).toEqual({ name: 'signature', filePath: 'wxfile://signature.png' });
  expect(text(confirm)).toContain(confirm.data.confirmation.confirmation_no);
  expect(text(confirm)).toContain('一审、二审和执行程序');

  confirm.instance.openPdf();
  await settle();
  expect(replay.state.opened).toBe('wxfile://receipt.pdf');
  expect(replay.calls).toEqual([]);
});
