"""邮寄送达 / 法院专递: print batches for destination printing, carriers and tracking, return cards, costs."""
