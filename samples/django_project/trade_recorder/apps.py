from django.apps import AppConfig


class TradeRecorderConfig(AppConfig):
    name = "trade_recorder"
    verbose_name = "exwire trade recorder"
