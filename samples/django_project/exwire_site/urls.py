"""No views: the sample is about the ``record_trades`` management command."""

urlpatterns: list = []
