"""送达地址确认书 (address_confirmation): the litigant confirms or corrects their service addresses
in the portal or the mini-program, accepts the legal notice, signs and enters an SMS code; the
result is confirmed rows in the address book and a sealed PDF, a document of the case."""
