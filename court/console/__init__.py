"""The clerk console (书记员工作台): court staff follow services, act on them and print reports."""
