"""地址库 (address book): each person's addresses with type, source and status; the administrative
divisions of an address; extraction from litigation materials; the presumption rules of the 2017
《最高人民法院关于进一步加强民事送达工作的若干意见》."""
