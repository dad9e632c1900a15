"""schemathesis over the control plane's own OpenAPI document (/_mock/openapi.json).

Every documented operation, fed generated input: responses must match the
document and no input may produce a 5xx.
"""

import schemathesis
from conftest import make_settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from hypothesis import HealthCheck, settings

from mock_halo.app import create_app

APP = create_app(make_settings())
schema = schemathesis.openapi.from_asgi("/_mock/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_control_plane_honours_its_contract(case):
    # The control plane validates meaning as well as shape (a clock cannot be
    # set into the past, unknown body fields are refused), which its document
    # does not express yet; those two data-acceptance checks are left out until
    # it does. Status codes, bodies, content types, headers and "never a 5xx"
    # are all checked.
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance, negative_data_rejection])
    assert response.status_code < 500, response.text
