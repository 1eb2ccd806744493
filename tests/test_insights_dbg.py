from tests.test_insights_browse import *
def test_dbg(history, client):
    html = client.get("/insights").get_data(as_text=True)
    i = html.find("<tbody>"); print(html[i:i+3000])
