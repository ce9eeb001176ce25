"""One row per public trade received from an exchange."""

from django.db import models


class Trade(models.Model):
    """A public trade as ``client.shared`` delivered it (an :class:`exwire.Trade`), the same
    columns with the same meaning for every exchange: ``symbol`` ``BASE/QUOTE``, price in
    the quote asset, quantity in the base asset, ``side`` the taker's ``"buy"`` / ``"sell"``
    (``""`` where the exchange does not say), ``traded_at`` aware UTC."""

    exchange = models.CharField(max_length=32)
    symbol = models.CharField(max_length=32)
    price = models.DecimalField(max_digits=36, decimal_places=18)
    quantity = models.DecimalField(max_digits=36, decimal_places=18)
    side = models.CharField(max_length=8, blank=True)
    traded_at = models.DateTimeField(null=True, help_text="when the exchange says the trade happened")
    received_at = models.DateTimeField(help_text="when exwire read the frame")

    class Meta:
        indexes = [models.Index(fields=["exchange", "symbol", "traded_at"])]

    def __str__(self) -> str:
        return f"{self.exchange} {self.symbol} {self.side} {self.quantity} @ {self.price}"
