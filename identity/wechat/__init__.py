"""WeChat mini-program server APIs (登录、手机号、订阅消息) behind one interface: wechatpy or dev."""
