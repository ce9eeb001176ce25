"""Payloads of coinsuper.md §3, written out by hand from the document's samples.

The document's samples are abbreviated there (the real ones have 50 depth buckets, 15
book levels and ~20 trades per side); these keep the same fields, values and types.
The order-status sample is the spec's "illustrative shape" (§3.6 has no real one).
"""

DEPTH_TOPIC = "exchange_ha_prod_hk/api/ws/v1/market/depth/BTC_USD"
DEPTH = """{"symbol": "BTC/USD",
 "asks": [{"price": "6681.39", "quantity": "25.1470", "stepValue": null},
          {"price": "6688.06", "quantity": "50.7548", "stepValue": null},
          {"price": "6694.74", "quantity": "73.7040", "stepValue": null}],
 "bids": [{"price": "6674.72", "quantity": "0.0000", "stepValue": null},
          {"price": "6668.04", "quantity": "0.8490", "stepValue": null},
          {"price": "6661.37", "quantity": "0.8490", "stepValue": null}],
 "depthPercent": "0.01", "asksMinPrice": "6674.89", "bidsMaxPrice": "6674.56"}"""

ORDER_BOOK_TOPIC = "exchange_ha_prod_hk/api/ws/v1/market/orderBook/BTC_USD/0.01"
ORDER_BOOK = """{"asks": [{"amount": "349.76", "limitPrice": "6674.89", "quantity": "0.0524"},
          {"amount": "1601.32", "limitPrice": "6674.96", "quantity": "0.2399"}],
 "bids": [{"amount": "5666.70", "limitPrice": "6674.56", "quantity": "0.8490"},
          {"amount": "817.97", "limitPrice": "6617.89", "quantity": "0.1236"}],
 "limitSize": 15, "step": "0.01", "symbol": "BTC/USD", "timestamp": 1532686075803}"""

KLINE_TOPIC = "exchange_ha_prod_hk/api/ws/v1/market/kline/BTC_USD/60000"
KLINE = """{"symbol": "BTC/USD", "first": "6616.40", "last": "6616.45", "max": "6616.48", "min": "6616.40",
 "quantity": "31.76239814", "timestamp": 1532686140000}"""

TICKERS_TOPIC = "exchange_ha_prod_hk/api/ws/v1/market/tickers/BTC_USD"
TICKERS = """[{"symbol": "BTC/USD", "price": "6089.34", "quantity": "0.4337", "action": "BUY", "timestamp": 1532623321348},
 {"symbol": "BTC/USD", "price": "6088.84", "quantity": "0.2197", "action": "SELL", "timestamp": 1532606712073}]"""

ASSET_TOPIC = "exchange_ha_prod_hk/api/ws/personal/v1/asset/change/demouser@demo.domain"
ASSET = """{"asset": [{"available": 0.738763122563248000000000000000, "currency": "BTC",
            "total": 1.306763122563248000000000000000, "utcUpdate": 1542786801575},
           {"available": 3226.058257880000000000000000000000, "currency": "USD",
            "total": 3226.058257880000000000000000000000, "utcUpdate": 1542786801518}],
 "email": "demouser@demo.domain", "timestamp": 1542786802283, "userNo": "1600000000000000000"}"""

ORDER_TOPIC = "exchange_ha_prod_hk/ws/personal/v1/order/change/demouser@demo.domain"
ORDER = """{"symbol": "BTC/USD", "orderNo": "1616392747273428993", "quantity": "0.0100", "quantityRemaining": "0.0100",
 "priceLimit": "6500.00", "action": "BUY", "priceAverage": "0", "amount": "65.00", "amountRemaining": "65.00",
 "fee": "0", "state": "NEW", "utcCreate": 1541512249094, "utcUpdate": 1541512249094}"""

TRADE_TOPIC = "exchange_ha_prod_hk/ws/personal/v1/trade/change/demouser@demo.domain"
TRADE = """{"action": "BUY", "dealNo": "1616392748072460289", "matchType": "TAKER", "orderNo": "1616392747273428993",
 "orderType": "MKT", "price": "1234.56000000", "quantity": "0.00081000", "symbol": "ETC/BTC",
 "utcDeal": "1541512249094"}"""
