// Set by the court before uploading (微信开发者工具 → 上传). The server must be listed in the
// mini-program's "request 合法域名" and "downloadFile 合法域名".
module.exports = {
  baseUrl: 'https://songda.example-court.gov.cn',
  courtName: '示范市城中区人民法院',
  courtPhone: '0772-0000000',
  // 订阅消息模板（字段 thing1 法院、thing2 案号、thing3 提示、time4 送达时间），见 docs/MINIPROGRAM.md
  subscribeTemplateId: ''
};
