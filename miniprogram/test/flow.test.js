// The client's pages driven through login → SMS route → read → sign → receipt against a recorded
// run of the server's API (test/replay.js), with miniprogram-simulate + j-component.
const simulate = require('miniprogram-simulate');
const { createReplay } = require('./replay');
const { page, courtPhone } = require('./pages');

let replay;

function text(comp) {
  return comp.dom.textContent.replace(/\s+/g, ' ');
}

function query(url) {
  const out = {};
  (url.split('?')[1] || '').split('&').filter(Boolean).forEach((kv) => {
    const [k, v] = kv.split('=');
    out[k] = decodeURIComponent(v);
  });
  return out;
}

function lastNavigation() {
  return replay.navigations[replay.navigations.length - 1];
}

async function settle() {
  for (let i = 0; i < 5; i += 1) await simulate.sleep(5);
}

beforeAll(() => {
  replay = createReplay();
  Object.assign(global.wx, replay.wx);
});

test('login → SMS route → read → sign → receipt', async () => {
  // Login: the first code is stale (wx_code_invalid), the client retries once with a fresh one.
  const login = page('login');
  expect(text(login)).toContain('0772-0000000');  // the court's phone on every page
  login.querySelector('#login').dispatchEvent('tap');
  await settle();
  expect(lastNavigation()).toEqual(['redirectTo', '/pages/identity/index']);

  // Identity: the phone through getPhoneNumber, then name + ID with the notice shown.
  const identity = page('identity');
  identity.instance.onLoad({});
  expect(text(identity)).toContain('个人信息处理告知');
  await identity.instance.onPhone({ detail: { code: 'phone-code' } });
  expect(text(identity)).toMatch(/手机号 138\*\*\*\*\d{4} 已验证/);
  identity.instance.onNameInput({ detail: { value: '王小明' } });
  identity.instance.onIdInput({ detail: { value: '110101199003071234' } });
  await identity.instance.bindIdentity();
  expect(lastNavigation()).toEqual(['redirectTo', '/pages/verify/index']);
  expect(replay.made[replay.made.length - 1].body).toEqual({ name: '王小明', id_number: '110101199003071234' });

  // Second factor: SMS. The face card (WeChat 人脸核身) is offered with its separate consent.
  const verify = page('verify');
  await verify.instance.onLoad({});
  await settle();
  expect(text(verify)).toContain('人脸识别单独同意书');
  await verify.instance.sendCode();
  expect(verify.data.countdown).toBe(60);
  await verify.instance.sendCode();  // again inside the cooldown: 429 with Retry-After
  expect(verify.data.error).toContain('验证码发送过于频繁');
  expect(verify.data.countdown).toBeGreaterThan(0);
  verify.instance.onCodeInput({ detail: { value: '000000' } });
  await verify.instance.checkCode();
  expect(text(verify)).toMatch(/验证码错误，还可尝试\d次/);
  expect(verify.data.code).toBe('');  // the box is cleared for the next try
  verify.instance.onCodeInput({ detail: { value: '123456' } });
  await verify.instance.checkCode();
  expect(lastNavigation()).toEqual(['redirectTo', '/pages/services/index']);

  // My services: two unread documents; signing first is refused on the client.
  const services = page('services');
  await services.instance.onLoad({});
  await settle();
  expect(text(services)).toContain('(2025)');
  expect(text(services)).toContain('未阅');
  services.instance.sign({ currentTarget: { dataset: { index: 0 } } });
  expect(services.data.error).toContain('请先阅读全部文书');

  // Read each document (page images through signed links, zoom), then back to the list.
  const service = services.data.services[0];
  for (const doc of service.documents) {
    services.querySelector('#open-' + doc.id).dispatchEvent('tap');
    await settle();
    const url = lastNavigation()[1];
    expect(url).toBe('/pages/document/index?delivery=' + service.delivery.id + '&document=' + doc.id);
    const reader = page('document');
    await reader.instance.onLoad(query(url));
    expect(reader.data.pages[0]).toMatch(/^https:\/\/songda\.example-court\.gov\.cn\/mp\/api\/v1\/pages\/\d+\/\d+\/1\.png\?e=\d+&s=[0-9a-f]+$/);
    reader.instance.zoomIn();
    reader.instance.zoomIn();
    expect(reader.data.zoom).toBe(2);
    reader.instance.zoomOut();
    expect(reader.data.zoom).toBe(1.5);
    expect(text(reader)).toContain('0772-0000000');
    await services.instance.refresh();  // onShow after navigating back
  }
  expect(services.data.services[0].documents.every((d) => d.viewed)).toBe(true);

  // Sign on the canvas pad.
  services.instance.sign({ currentTarget: { dataset: { index: 0 } } });
  const signUrl = lastNavigation()[1];
  expect(signUrl).toBe('/pages/sign/index?service=' + service.service_id);
  const pad = page('sign');
  pad.instance.onLoad(query(signUrl));
  expect(text(pad)).toContain(service.legal_effect.slice(0, 10));
  expect(text(pad)).toContain(service.court_phone);
  await pad.instance.confirm();
  expect(pad.data.error).toBe('请先在框内手写签名');  // nothing drawn: no upload
  pad.instance.start({ touches: [{ x: 10, y: 10 }] });
  for (let i = 1; i <= 20; i += 1) pad.instance.move({ touches: [{ x: 10 + i * 10, y: 10 + (i % 5) * 8 }] });
  pad.instance.end({});
  await pad.instance.confirm();
  const receiptUrl = lastNavigation()[1];
  expect(receiptUrl).toMatch(/^\/pages\/receipt\/index\?no=SD\d{8}[0-9A-Z]{10}$/);

  // The receipt: 202 while sealing (wait Retry-After), then ready; the PDF opens.
  const receipt = page('receipt');
  await receipt.instance.onLoad(query(receiptUrl));
  expect(receipt.data.ready).toBe(true);
  expect(text(receipt)).toContain('送达回证已加盖法院电子印章');
  receipt.querySelector('#open-pdf').dispatchEvent('tap');
  await settle();
  expect(replay.state.opened).toBe('wxfile://receipt.pdf');
  receipt.instance.back();
  await services.instance.refresh();
  expect(text(services)).toContain('查看送达回证');
  expect(text(services)).toContain('状态：已签收');

  // Every recorded call was made, in order.
  expect(replay.calls).toEqual([]);
}, 30000);

test('the court phone is on every page and can be called', () => {
  for (const name of ['login', 'identity', 'verify', 'face', 'services', 'document', 'sign', 'receipt', 'subscribe']) {
    const comp = page(name);
    expect(text(comp)).toContain('如有疑问，请致电');
  }
  const phone = courtPhone({ phone: '0771-7654321', court: '另一法院' });
  expect(text(phone)).toContain('另一法院');
  phone.querySelector('#court-phone-number').dispatchEvent('tap');
  return settle().then(() => expect(replay.state.phoneCalls).toEqual(['0771-7654321']));
});
